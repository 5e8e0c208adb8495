//! register (POW, §8.3): the current-block and sealed-hash forms and the order of its checks,
//! on the helpers of `tx_tests`.

use super::*;

/// Subnet 1 allowing POW at difficulty 1000, block 1.
fn pow_chain() -> State {
    let mut s = chain(&[(ALICE, 10_000)]);
    let p = &mut s.subnet_storage_mut(1).params;
    p.network_pow_registration_allowed = true;
    p.difficulty = 1000;
    s
}

/// The §15.13 solution: H = 32 zero bytes (the current block), hotkey 32 × 0x01.
const POW_HOTKEY: AccountId = [1; 32];
const POW_NONCE: u64 = 2535;

fn pow_work() -> Vec<u8> {
    pow::seal(&[0; 32], &POW_HOTKEY, POW_NONCE).to_vec()
}

fn pow_reg(
    signer: AccountId,
    netuid: u16,
    block_number: u64,
    nonce: u64,
    work: Vec<u8>,
    coldkey: AccountId,
) -> impl FnOnce(&mut State, &mut Events) -> Result<()> {
    move |s: &mut State, ev: &mut Events| {
        register_pow(
            s,
            &signer,
            &Register {
                netuid,
                block_number,
                nonce,
                work: work.to_vec(),
                hotkey: POW_HOTKEY,
                coldkey,
            },
            ev,
        )
    }
}

#[test]
fn register_pow_with_the_current_block() {
    let mut s = pow_chain();
    let mut ev = Events::enabled();
    pow_reg(POW_HOTKEY, 1, 1, POW_NONCE, pow_work(), BOB)(&mut s, &mut ev).unwrap();
    let work: Hash = pow_work().try_into().unwrap();
    assert_eq!(s.used_work[&work], 1);
    assert_eq!(s.owner[&POW_HOTKEY], BOB);
    let sub = &s.subnets[&1];
    assert_eq!(sub.neurons.uids[&POW_HOTKEY], 0);
    assert_eq!(
        (
            sub.pow_registrations_this_interval,
            sub.burn_registrations_this_interval,
            sub.registrations_this_interval,
            sub.registrations_this_block
        ),
        (1, 0, 1, 1)
    );
    assert_eq!(names(&ev), vec!["NeuronRegistered"]);
    assert_eq!(s.free(&BOB), 0, "no cost");
    assert_supply(&s);
}

#[test]
fn register_pow_with_a_sealed_block_hash() {
    // b = 3: blocks 1 and 2 are in the window, block 0 is too old
    let mut s = pow_chain();
    s.block = 3;
    s.recent_hashes = vec![(0, [5; 32]), (1, [6; 32]), (2, [7; 32])];
    let (nonce, work) = pow::create_pow(&[6; 32], &POW_HOTKEY, 1000, 0, 1_000_000).unwrap();
    rejects(
        &mut s,
        RuleError::InvalidWorkBlock,
        pow_reg(POW_HOTKEY, 1, 0, nonce, work.to_vec(), BOB),
    );
    // the seal of block 1 is not valid for block 2
    rejects(
        &mut s,
        RuleError::InvalidSeal,
        pow_reg(POW_HOTKEY, 1, 2, nonce, work.to_vec(), BOB),
    );
    pow_reg(POW_HOTKEY, 1, 1, nonce, work.to_vec(), BOB)(&mut s, &mut Events::disabled()).unwrap();
    assert_eq!(s.used_work[&work], 3);
}

#[test]
fn register_pow_errors_in_order() {
    let mut s = pow_chain();
    let w = pow_work;
    // 0. signer ≠ hotkey, before everything (even the root netuid)
    rejects(
        &mut s,
        RuleError::HotkeyOriginMismatch,
        pow_reg(BOB, 0, 1, POW_NONCE, w(), BOB),
    );
    rejects(
        &mut s,
        RuleError::OperationNotPermittedonRootSubnet,
        pow_reg(POW_HOTKEY, 0, 1, 0, w(), BOB),
    );
    rejects(
        &mut s,
        RuleError::NetworkDoesNotExist,
        pow_reg(POW_HOTKEY, 2, 1, 0, w(), BOB),
    );
    // C3: the POW flag (the burn flag is on)
    s.subnet_storage_mut(1)
        .params
        .network_pow_registration_allowed = false;
    rejects(
        &mut s,
        RuleError::RegistrationDisabled,
        pow_reg(POW_HOTKEY, 1, 1, 0, w(), BOB),
    );
    s.subnet_storage_mut(1)
        .params
        .network_pow_registration_allowed = true;
    s.subnet_storage_mut(1).registrations_this_block = 1;
    rejects(
        &mut s,
        RuleError::TooManyRegistrationsThisBlock,
        pow_reg(POW_HOTKEY, 1, 1, 0, w(), BOB),
    );
    s.subnet_storage_mut(1).registrations_this_block = 0;
    s.subnet_storage_mut(1).registrations_this_interval = 3;
    rejects(
        &mut s,
        RuleError::TooManyRegistrationsThisInterval,
        pow_reg(POW_HOTKEY, 1, 1, 0, w(), BOB),
    );
    s.subnet_storage_mut(1).registrations_this_interval = 0;
    // 7. future block; 8. too old (b − block_number = 3)
    rejects(
        &mut s,
        RuleError::InvalidWorkBlock,
        pow_reg(POW_HOTKEY, 1, 2, POW_NONCE, w(), BOB),
    );
    s.block = 4;
    rejects(
        &mut s,
        RuleError::InvalidWorkBlock,
        pow_reg(POW_HOTKEY, 1, 1, POW_NONCE, w(), BOB),
    );
    s.block = 1;
    // 9. work of the wrong length (checked before the difficulty)
    rejects(
        &mut s,
        RuleError::InvalidSeal,
        pow_reg(POW_HOTKEY, 1, 1, POW_NONCE, vec![0xff; 31], BOB),
    );
    // 10. difficulty
    rejects(
        &mut s,
        RuleError::InvalidDifficulty,
        pow_reg(POW_HOTKEY, 1, 1, POW_NONCE, vec![0xff; 32], BOB),
    );
    // 11. a work that meets the difficulty but is not this nonce's seal
    rejects(
        &mut s,
        RuleError::InvalidSeal,
        pow_reg(POW_HOTKEY, 1, 1, POW_NONCE + 1, w(), BOB),
    );
    rejects(
        &mut s,
        RuleError::InvalidSeal,
        pow_reg(POW_HOTKEY, 1, 1, POW_NONCE, vec![0; 32], BOB),
    );
    // C6 and 12: the hotkey is Alice's and registered on subnet 1
    burn_reg(&mut s, ALICE, 1, POW_HOTKEY).unwrap();
    s.subnet_storage_mut(1).registrations_this_block = 0;
    rejects(
        &mut s,
        RuleError::AlreadyRegistered,
        pow_reg(POW_HOTKEY, 1, 1, POW_NONCE, w(), BOB),
    );
    crate::subnets::init_new_network(&mut s, 2, 360);
    let p = &mut s.subnet_storage_mut(2).params;
    p.network_pow_registration_allowed = true;
    p.difficulty = 1000;
    rejects(
        &mut s,
        RuleError::NonAssociatedColdKey,
        pow_reg(POW_HOTKEY, 2, 1, POW_NONCE, w(), BOB),
    );
    // 13. no slots
    s.subnet_storage_mut(2).params.max_allowed_uids = 0;
    rejects(
        &mut s,
        RuleError::NetworkDoesNotExist,
        pow_reg(POW_HOTKEY, 2, 1, POW_NONCE, w(), ALICE),
    );
    s.subnet_storage_mut(2).params.max_allowed_uids = 1;
    pow_reg(POW_HOTKEY, 2, 1, POW_NONCE, w(), ALICE)(&mut s, &mut Events::disabled()).unwrap();
}
